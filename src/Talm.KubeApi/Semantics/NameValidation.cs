using System.Text.RegularExpressions;

namespace Talm.KubeApi.Semantics;

/// <summary>
/// The DNS-1123 rules names follow, with the real API server's messages: namespaces are labels, most
/// other objects subdomains; ConfigMap and Secret keys have a rule of their own.
/// </summary>
public static partial class NameValidation
{
    private const string SubdomainFormat = @"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
    private const string LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string ConfigKeyFormat = "[-._a-zA-Z0-9]+";

    /// <summary>What is wrong with an object name: a label for namespaces, a subdomain otherwise; empty when valid.</summary>
    public static IReadOnlyList<string> Problems(string name, bool label)
    {
        if (name.Length == 0) return ["name or generateName is required"];
        var problems = new List<string>();
        var max = label ? 63 : 253;
        if (name.Length > max) problems.Add($"must be no more than {max} characters");
        if (label && !Label().IsMatch(name))
        {
            problems.Add(RegexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " +
                "and must start and end with an alphanumeric character", LabelFormat, "my-name", "123-abc"));
        }

        if (!label && !Subdomain().IsMatch(name))
        {
            problems.Add(RegexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
                "and must start and end with an alphanumeric character", SubdomainFormat, "example.com"));
        }

        return problems;
    }

    /// <summary>What is wrong with a ConfigMap or Secret key; empty when valid.</summary>
    public static IReadOnlyList<string> ConfigKeyProblems(string key)
    {
        var problems = new List<string>();
        if (key.Length > 253) problems.Add("must be no more than 253 characters");
        if (!ConfigKey().IsMatch(key))
        {
            problems.Add(RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", ConfigKeyFormat,
                "key.name", "KEY_NAME", "key-name"));
        }

        if (key == ".") problems.Add("must not be '.'");
        else if (key == "..") problems.Add("must not be '..'");
        else if (key.StartsWith("..", StringComparison.Ordinal)) problems.Add("must not start with '..'");
        return problems;
    }

    /// <summary>The apimachinery wording: "MESSAGE (e.g. 'a',  or 'b', regex used for validation is 'RE')".</summary>
    private static string RegexError(string message, string format, params string[] examples) =>
        message + " (e.g. " + string.Join(" or ", examples.Select(e => $"'{e}', ")) + $"regex used for validation is '{format}')";

    [GeneratedRegex("^" + SubdomainFormat + @"\z")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^" + LabelFormat + @"\z")]
    private static partial Regex Label();

    [GeneratedRegex("^" + ConfigKeyFormat + @"\z")]
    private static partial Regex ConfigKey();
}
