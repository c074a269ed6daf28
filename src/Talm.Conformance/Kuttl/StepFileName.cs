using System.Globalization;
using System.Text.RegularExpressions;

namespace Talm.Conformance.Kuttl;

public enum StepFileType { Unknown, Apply, Assert, Errors }

/// <summary>
/// What kuttl reads from a file name in a test folder: <c>NN-assert.yaml</c> and <c>NN-errors.yaml</c> (also
/// <c>NN-assert-more.yaml</c>) check, any other <c>NN-name.yaml</c> is applied (and names the step). Names
/// without the leading number are ignored, as kuttl does.
/// </summary>
public sealed partial record StepFileName(StepFileType Type, int? Index, string StepName, bool IsTemplate)
{
    public static StepFileName Parse(string path)
    {
        var name = System.IO.Path.GetFileName(path);
        var m = Pattern().Match(name);
        if (!m.Success) return new StepFileName(StepFileType.Unknown, null, string.Empty, false);
        int? index = null;
        if (m.Groups[1].Success)
        {
            if (!int.TryParse(m.Groups[1].Value.TrimEnd('-'), NumberStyles.None, CultureInfo.InvariantCulture, out var i))
                return new StepFileName(StepFileType.Unknown, null, string.Empty, false);
            index = i;
        }
        var isTemplate = m.Groups[4].Value.StartsWith(".gotmpl", StringComparison.Ordinal);
        var first = m.Groups[2].Value;
        var type = first.ToLowerInvariant() switch
        {
            "assert" => StepFileType.Assert,
            "errors" => StepFileType.Errors,
            _ => StepFileType.Apply,
        };
        return new StepFileName(type, index, type == StepFileType.Apply ? first + m.Groups[3].Value : string.Empty, isTemplate);
    }

    [GeneratedRegex(@"^(\d+-)?([^-.]+)(-[^.]+)?((?:\.gotmpl)?\.yaml)?$")]
    private static partial Regex Pattern();
}
