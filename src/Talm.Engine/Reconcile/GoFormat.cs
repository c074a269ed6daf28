using System.Text.Json;

namespace Talm.Engine.Reconcile;

/// <summary>How the reference's Go prints values into condition messages.</summary>
internal static class GoFormat
{
    /// <summary>%s of a []string: "[a b]".</summary>
    public static string List(IEnumerable<string> items) => "[" + string.Join(' ', items) + "]";

    /// <summary>json.Marshal of a map: keys in order, no spaces.</summary>
    public static string Json(SortedDictionary<string, List<string>> map) => JsonSerializer.Serialize(map);
}
