using System.ComponentModel.DataAnnotations;
using System.Reflection;
using LoginEtl.Worker.Commands;
using LoginEtl.Worker.Hosting;

namespace LoginEtl.Tests;

public class SettingsTests
{
    // Every options class of the service: the public ones with a Section constant.
    static readonly Type[] Types = [.. typeof(LoginEtlHost).Assembly.GetTypes()
        .Where(t => t.IsPublic && t.Name.EndsWith("Options", StringComparison.Ordinal) && t.GetField("Section") is { IsLiteral: true })];

    public static TheoryData<Type> OptionsTypes => new(Types);

    [Theory]
    [MemberData(nameof(OptionsTypes))]
    public void Every_validation_message_names_its_setting_as_an_operator_sets_it(Type options)
    {
        var section = (string)options.GetField("Section")!.GetRawConstantValue()!;
        foreach (var property in options.GetProperties())
        {
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
                Assert.StartsWith($"{section}__{property.Name} ", attribute.ErrorMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_options_types_are_found()
    {
        Assert.Contains(typeof(TelemetryOptions), Types);
        Assert.True(Types.Length >= 8, string.Join(", ", Types.Select(t => t.Name)));
    }

    [Theory]
    [InlineData("--Sqs:Pollers=4", true)]
    [InlineData("--ConnectionStrings:LoginDb=Host=db;Username=etl", true)]
    [InlineData("--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information", true)]
    [InlineData("--Sqs:QueueName=", true)]
    [InlineData("--drain", false)]
    [InlineData("--messages=5", false)]
    [InlineData("--messages:5", false)]
    [InlineData("--Sqs:Pollers", false)]
    [InlineData("--:Pollers=4", false)]
    [InlineData("Sqs:Pollers=4", false)]
    [InlineData("-", false)]
    public void A_setting_is_a_double_dash_key_with_a_section_and_a_value(string token, bool isSetting) =>
        Assert.Equal(isSetting, SettingArguments.IsSetting(token));

    [Fact]
    public void Settings_are_taken_from_anywhere_on_the_line_and_nothing_after_a_double_dash_is_one()
    {
        var (settings, arguments) = SettingArguments.Split(["run", "--Sqs:Pollers=4", "--drain", "--Health:Port=0", "--", "--Sqs:QueueName=x"]);

        Assert.Equal(["--Sqs:Pollers=4", "--Health:Port=0"], settings);
        Assert.Equal(["run", "--drain", "--", "--Sqs:QueueName=x"], arguments);
    }
}
