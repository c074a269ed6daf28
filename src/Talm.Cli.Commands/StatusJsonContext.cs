using System.Text.Json.Serialization;
using Talm.Recovery.Status;

namespace Talm.Cli.Commands;

/// <summary><c>recovery status -o json</c>'s contract, generated at compile time so the trimmed talm-recovery writes every field.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(RecoveryStatus))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
