using System.Text.Json.Nodes;

namespace Talm.Conformance.Kuttl;

/// <summary>One entry of a kuttl <c>commands</c> list (in a TestStep or in the TestSuite).</summary>
public sealed record TestCommand
{
    public string Command { get; init; } = string.Empty;

    /// <summary>Run with <c>sh -c</c>; kuttl forbids it together with <see cref="Command"/> or <see cref="Namespaced"/>.</summary>
    public string Script { get; init; } = string.Empty;

    /// <summary>Adds <c>--namespace NS</c> unless the command already names one with -n/--namespace.</summary>
    public bool Namespaced { get; init; }

    /// <summary>A non-zero exit is not a failure (a command that cannot start still is).</summary>
    public bool IgnoreFailure { get; init; }

    public bool Background { get; init; }

    /// <summary>Seconds: 0 takes the suite's timeout, a negative value means none.</summary>
    public int Timeout { get; init; }

    public bool SkipLogOutput { get; init; }

    /// <summary>What kuttl prints for it: the command, else the script.</summary>
    public string Text => Command.Length > 0 ? Command : Script;

    public static TestCommand FromJson(JsonObject json, string where) => new()
    {
        Command = KuttlJson.String(json, "command", where),
        Script = KuttlJson.String(json, "script", where),
        Namespaced = KuttlJson.Bool(json, "namespaced", where),
        IgnoreFailure = KuttlJson.Bool(json, "ignoreFailure", where),
        Background = KuttlJson.Bool(json, "background", where),
        Timeout = KuttlJson.Int(json, "timeout", where),
        SkipLogOutput = KuttlJson.Bool(json, "skipLogOutput", where),
    };

    public static IReadOnlyList<TestCommand> ListFromJson(JsonObject owner, string where) =>
        owner["commands"] switch
        {
            null => [],
            JsonArray list => list.Select((c, i) => c is JsonObject o
                ? FromJson(o, $"{where} commands[{i}]")
                : throw new InvalidDataException($"{where}: commands[{i}] is not a mapping")).ToList(),
            _ => throw new InvalidDataException($"{where}: commands is not a list"),
        };
}
