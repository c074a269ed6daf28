using System.Text.Json.Serialization;

namespace Talm.Recovery.Manifest;

/// <summary>
/// The manifest's JSON contract, generated at compile time: the agent ships trimmed (talm-recovery), where
/// reflection-based serialization would lose the members it never saw used; and a backup reads the previous
/// manifest and writes its own (ten thousand entries each) without building serializers at run time.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(BackupManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
