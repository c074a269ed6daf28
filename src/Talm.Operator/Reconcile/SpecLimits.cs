using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Talm.Api.Cgu;
using Talm.Api.Json;

namespace Talm.Operator.Reconcile;

/// <summary>
/// Numbers in a CGU's spec that its model cannot hold: the CRD declares them as plain <c>integer</c>,
/// so an API server accepts <c>timeout: 9223372036854775807</c>, which the model would have to
/// truncate. Found by walking the raw spec alongside the model's own JSON contract, so a field added to
/// the model is checked without being listed here. Each problem reads as a Kubernetes field error.
/// </summary>
public static class SpecLimits
{
    public static IReadOnlyList<string> Problems(JsonElement cgu)
    {
        var problems = new List<string>();
        if (cgu.ValueKind == JsonValueKind.Object && cgu.TryGetProperty("spec", out var spec))
            Walk(spec, KubeJson.Options.GetTypeInfo(typeof(ClusterGroupUpgradeSpec)), "spec", problems);
        return problems;
    }

    private static void Walk(JsonElement value, JsonTypeInfo info, string path, List<string> problems)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        if (type == typeof(int) || type == typeof(long))
        {
            if (value.ValueKind == JsonValueKind.Number) Check(value, type == typeof(int) ? (int.MinValue, int.MaxValue) : (long.MinValue, long.MaxValue), path, problems);
            return;
        }
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object when value.ValueKind == JsonValueKind.Object:
                foreach (var property in info.Properties)
                {
                    if (value.TryGetProperty(property.Name, out var member))
                        Walk(member, KubeJson.Options.GetTypeInfo(property.PropertyType), $"{path}.{property.Name}", problems);
                }
                break;
            case JsonTypeInfoKind.Enumerable when value.ValueKind == JsonValueKind.Array && info.ElementType is { } element:
                var i = 0;
                foreach (var item in value.EnumerateArray()) Walk(item, KubeJson.Options.GetTypeInfo(element), $"{path}[{i++}]", problems);
                break;
            case JsonTypeInfoKind.Dictionary when value.ValueKind == JsonValueKind.Object && info.ElementType is { } entry:
                foreach (var member in value.EnumerateObject()) Walk(member.Value, KubeJson.Options.GetTypeInfo(entry), $"{path}[{member.Name}]", problems);
                break;
        }
    }

    private static void Check(JsonElement number, (long Min, long Max) range, string path, List<string> problems)
    {
        var text = number.GetRawText();
        if (number.TryGetInt64(out var exact))
        {
            if (exact > range.Max) problems.Add($"{path}: Invalid value: {text}: must be less than or equal to {range.Max.ToString(CultureInfo.InvariantCulture)}");
            else if (exact < range.Min) problems.Add($"{path}: Invalid value: {text}: must be greater than or equal to {range.Min.ToString(CultureInfo.InvariantCulture)}");
            return;
        }
        var value = number.GetDouble();
        if (value > range.Max) problems.Add($"{path}: Invalid value: {text}: must be less than or equal to {range.Max.ToString(CultureInfo.InvariantCulture)}");
        else if (value < range.Min) problems.Add($"{path}: Invalid value: {text}: must be greater than or equal to {range.Min.ToString(CultureInfo.InvariantCulture)}");
        else problems.Add($"{path}: Invalid value: {text}: must be an integer");
    }
}
