using System.Text.RegularExpressions;

namespace Talm.KubeApi.Semantics;

/// <summary>The DNS-1123 subdomain rule object names follow.</summary>
public static partial class NameValidation
{
    public static string? Problem(string name)
    {
        if (name.Length == 0) return "name or generateName is required";
        if (name.Length > 253) return "must be no more than 253 characters";
        return Subdomain().IsMatch(name)
            ? null
            : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
              "and must start and end with an alphanumeric character";
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();
}
