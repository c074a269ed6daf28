using System.Text.Json.Serialization;

namespace Talm.Recovery.Manifest;

/// <summary>
/// The manifest's JSON contract, generated at build time: a backup reads the previous manifest and
/// writes its own (ten thousand entries each) without reflection or JIT-compiled serializers.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(BackupManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext
{
}
