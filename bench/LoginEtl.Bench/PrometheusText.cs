using System.Globalization;

namespace LoginEtl.Bench;

/// <summary>
/// The samples of a Prometheus text exposition (<c>/metrics</c>): <c>name{label="value",...} number [timestamp]</c> per
/// line, comments skipped. Only what the benchmark reads: sums over a metric's series, whole or by one label.
/// </summary>
sealed class PrometheusText
{
    readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    public static PrometheusText Parse(string text)
    {
        var parsed = new PrometheusText();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var labelsAt = line.IndexOf('{');
            var valueAt = labelsAt < 0 ? line.IndexOf(' ') : line.IndexOf("} ", labelsAt, StringComparison.Ordinal) + 1;
            if (valueAt <= 0)
                continue;
            var name = line[..(labelsAt < 0 ? valueAt : labelsAt)];
            var value = line[(valueAt + 1)..].Split(' ')[0];
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                continue;
            parsed._samples.Add((name, labelsAt < 0 ? [] : LabelsOf(line[(labelsAt + 1)..(valueAt - 1)]), number));
        }

        return parsed;
    }

    /// <summary>The sum of every series of <paramref name="name"/>; 0 when there is none.</summary>
    public double Sum(string name) => _samples.Where(s => s.Name == name).Sum(s => s.Value);

    /// <summary>The sums of <paramref name="name"/>'s series by their value of <paramref name="label"/>.</summary>
    public Dictionary<string, double> SumBy(string name, string label) => _samples
        .Where(s => s.Name == name && s.Labels.ContainsKey(label))
        .GroupBy(s => s.Labels[label])
        .ToDictionary(g => g.Key, g => g.Sum(s => s.Value), StringComparer.Ordinal);

    // a="x",b="y": the service's label values hold no quotes or commas, which the exposition would escape.
    static Dictionary<string, string> LabelsOf(string text) => text
        .Split(',', StringSplitOptions.RemoveEmptyEntries)
        .Select(pair => pair.Split('=', 2))
        .Where(pair => pair.Length == 2)
        .ToDictionary(pair => pair[0], pair => pair[1].Trim('"'), StringComparer.Ordinal);
}
