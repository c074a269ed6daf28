using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Talm.Conformance.Kuttl;

namespace Talm.Conformance.Run;

/// <summary>
/// The environment the reference's deployment gives its operator, read from the checkout: the container env of
/// <c>config/manager/related-images/in.yaml</c> with its <c>$VARS</c> filled from the Makefile's defaults
/// (<c>PRECACHE_IMG ?= $(IMAGE_TAG_BASE)-precache:$(VERSION)</c> and so on), as <c>make deploy</c> does.
/// </summary>
public static partial class ReferenceEnvironment
{
    public const string RelatedImagesPath = "config/manager/related-images/in.yaml";

    public static IReadOnlyDictionary<string, string> Read(string referenceDir)
    {
        var makefile = Path.Combine(referenceDir, "Makefile");
        var vars = File.Exists(makefile) ? MakefileDefaults(File.ReadAllText(makefile)) : new Dictionary<string, string>(StringComparer.Ordinal);
        var related = Path.Combine(referenceDir, RelatedImagesPath);
        if (!File.Exists(related))
            throw new InvalidDataException($"{related} is missing: cannot tell which images the reference gives its operator");
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var doc in KuttlYaml.ReadObjects(related))
        {
            var containers = doc["spec"]?["template"]?["spec"]?["containers"] as JsonArray ?? [];
            foreach (var item in containers.OfType<JsonObject>().SelectMany(c => c["env"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if ((string?)item["name"] is not { } name || item["value"] is not JsonValue v) continue;
                env[name] = EnvSubst(v.ToString(), vars);
            }
        }
        return env;
    }

    /// <summary>Top-level <c>NAME ?= value</c> / <c>:=</c> / <c>=</c> assignments, expanded; the first one of a name wins for <c>?=</c>.</summary>
    public static Dictionary<string, string> MakefileDefaults(string makefile)
    {
        ArgumentNullException.ThrowIfNull(makefile);
        var raw = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in makefile.Split('\n'))
        {
            if (line.StartsWith('\t')) continue;
            var m = Assignment().Match(line.TrimEnd('\r'));
            if (!m.Success) continue;
            var name = m.Groups["name"].Value;
            var op = m.Groups["op"].Value;
            var value = m.Groups["value"].Value.Trim();
            var hash = value.IndexOf(" #", StringComparison.Ordinal);
            if (hash >= 0) value = value[..hash].TrimEnd();
            if (op == "?=" && raw.ContainsKey(name)) continue;
            raw[name] = value;
        }
        var expanded = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in raw.Keys) expanded[name] = Expand(name, raw, []);
        return expanded;
    }

    private static string Expand(string name, Dictionary<string, string> raw, HashSet<string> seen)
    {
        if (!raw.TryGetValue(name, out var value) || !seen.Add(name)) return string.Empty;
        var result = MakeReference().Replace(value, m => Expand(m.Groups["paren"].Success ? m.Groups["paren"].Value : m.Groups["brace"].Value, raw, seen));
        seen.Remove(name);
        return result;
    }

    /// <summary>envsubst: <c>$NAME</c> and <c>${NAME}</c>; unknown names become empty.</summary>
    public static string EnvSubst(string text, IReadOnlyDictionary<string, string> vars)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EnvReference().Replace(text, m =>
        {
            var name = m.Groups["brace"].Success ? m.Groups["brace"].Value : m.Groups["bare"].Value;
            return vars.TryGetValue(name, out var v) ? v : string.Empty;
        });
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?<op>\?=|:=|::=|=)(?<value>.*)$")]
    private static partial Regex Assignment();

    [GeneratedRegex(@"\$\((?<paren>[A-Za-z_][A-Za-z0-9_]*)\)|\$\{(?<brace>[A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex MakeReference();

    [GeneratedRegex(@"\$\{(?<brace>[A-Za-z_][A-Za-z0-9_]*)\}|\$(?<bare>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex EnvReference();
}
