using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Talm.KubeApi.Storage;

/// <summary>
/// The line format of the data directory's files: one JSON object per line whose last member is
/// <c>"crc"</c>, the CRC-32 of the line's bytes before <c>,"crc":</c>. A line stays valid JSON (jq
/// reads it) while any damage to it, even one that still parses, is detected.
/// </summary>
internal static class RecordLines
{
    private static readonly byte[] CrcMember = ",\"crc\":"u8.ToArray();

    /// <summary>Appends <c>,"crc":N}\n</c> to an object's bytes written without their closing brace.</summary>
    public static void Seal(ArrayBufferWriter<byte> line)
    {
        var crc = Crc32.HashToUInt32(line.WrittenSpan);
        line.Write(CrcMember);
        line.Write(Encoding.ASCII.GetBytes(crc.ToString(CultureInfo.InvariantCulture)));
        line.Write("}\n"u8);
    }

    /// <summary>Whether the line (without its newline) carries a CRC, and whether it matches.</summary>
    public static (bool HasCrc, bool Matches) Check(ReadOnlySpan<byte> line)
    {
        var at = line.LastIndexOf(CrcMember);
        if (at < 0 || line.Length == 0 || line[^1] != (byte)'}') return (false, false);
        var digits = line[(at + CrcMember.Length)..^1];
        if (!uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var expected)) return (true, false);
        return (true, Crc32.HashToUInt32(line[..at]) == expected);
    }

    /// <summary>
    /// The lines of a file as byte arrays, each with whether a newline ended it (only the last may not be),
    /// read in chunks so a large log is never held whole.
    /// </summary>
    public static IEnumerable<(byte[] Line, bool Terminated)> Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var buffer = new byte[1 << 16];
        var pending = new ArrayBufferWriter<byte>();
        int read;
        while ((read = file.Read(buffer)) > 0)
        {
            var offset = 0;
            while (offset < read)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', offset, read - offset);
                if (newline < 0)
                {
                    pending.Write(buffer.AsSpan(offset, read - offset));
                    break;
                }
                pending.Write(buffer.AsSpan(offset, newline - offset));
                var line = pending.WrittenSpan.ToArray();
                pending.ResetWrittenCount();
                offset = newline + 1;
                yield return (line, true);
            }
        }
        if (pending.WrittenCount > 0) yield return (pending.WrittenSpan.ToArray(), false);
    }
}
