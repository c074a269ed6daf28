using System.Text.Json;
using System.Text.Json.Serialization;

namespace Talm.Conformance.Report;

/// <summary>One line of the result: a scenario, how it went, and where its logs are when it failed.</summary>
public sealed record ScenarioResult
{
    public required string Scenario { get; init; }

    public required bool Passed { get; init; }

    public required double Seconds { get; init; }

    public string? FailingStep { get; init; }

    public string? Difference { get; init; }

    /// <summary>Names of the overrides that replaced one of its steps' asserts or errors.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    public string? Logs { get; init; }
}

/// <summary>The JSON of <c>--report FILE</c>.</summary>
public sealed record RunReport
{
    public required string Reference { get; init; }

    public string? ReferenceCommit { get; init; }

    public required string Hub { get; init; }

    public required int Passed { get; init; }

    public required int Total { get; init; }

    public required double Seconds { get; init; }

    public required IReadOnlyList<ScenarioResult> Scenarios { get; init; }

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Options);
}
