using System.Text.Json.Nodes;

namespace Talm.Conformance.Kuttl;

/// <summary>
/// The parts of a kuttl TestSuite (<c>kuttl-test.yaml</c>) the runner follows. The cluster settings
/// (startKIND, startControlPlane, crdDir) are what the runner replaces with its own hub and CRDs.
/// </summary>
public sealed record TestSuite
{
    /// <summary>kuttl's default when the suite sets no timeout.</summary>
    public const int DefaultTimeout = 30;

    /// <summary>Run before the tests, from the suite's folder, with namespace <c>default</c>.</summary>
    public IReadOnlyList<TestCommand> Commands { get; init; } = [];

    /// <summary>Empty: kuttl makes a random namespace per test (not supported here).</summary>
    public string Namespace { get; init; } = string.Empty;

    /// <summary>Seconds per step: for commands and for the asserts to hold.</summary>
    public int Timeout { get; init; } = DefaultTimeout;

    public IReadOnlyList<string> TestDirs { get; init; } = [];

    public string CrdDir { get; init; } = string.Empty;

    public bool SkipDelete { get; init; }

    public IReadOnlyList<string> IgnoreFiles { get; init; } = ["README*"];

    public static TestSuite Load(string file)
    {
        var docs = KuttlYaml.ReadObjects(file).Where(o => KuttlJson.Kind(o) == "TestSuite").ToList();
        if (docs.Count != 1) throw new InvalidDataException($"{file}: expected one TestSuite document, found {docs.Count}");
        return FromJson(docs[0], file);
    }

    public static TestSuite FromJson(JsonObject o, string where)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (KuttlJson.Strings(o, "manifestDirs", where).Count > 0)
            throw new NotSupportedException($"{where}: manifestDirs is not supported by this runner");
        var timeout = KuttlJson.Int(o, "timeout", where);
        var ignore = KuttlJson.Strings(o, "ignoreFiles", where);
        return new TestSuite
        {
            Commands = TestCommand.ListFromJson(o, where),
            Namespace = KuttlJson.String(o, "namespace", where),
            Timeout = timeout != 0 ? timeout : DefaultTimeout,
            TestDirs = KuttlJson.Strings(o, "testDirs", where),
            CrdDir = KuttlJson.String(o, "crdDir", where),
            SkipDelete = KuttlJson.Bool(o, "skipDelete", where),
            IgnoreFiles = o["ignoreFiles"] is null ? ["README*"] : ignore,
        };
    }
}
