using YamlDotNet.RepresentationModel;

namespace LoginEtl.Tests;

/// <summary>Reading a YAML document by a path of mapping keys, as the deployment files' tests do.</summary>
static class YamlPaths
{
    /// <summary>The node at <paramref name="path"/> under <paramref name="node"/>; null where a key is missing.</summary>
    public static YamlNode? Get(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var child))
                return null;
            node = child;
        }

        return node;
    }

    public static string? Text(YamlNode node, params string[] path) => (Get(node, path) as YamlScalarNode)?.Value;
}
