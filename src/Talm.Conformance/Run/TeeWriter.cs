using System.Text;

namespace Talm.Conformance.Run;

/// <summary>With --verbose: a scenario's log goes to its file and to the terminal.</summary>
internal sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
{
    public override Encoding Encoding => first.Encoding;

    public override void Write(char value)
    {
        first.Write(value);
        second.Write(value);
    }

    public override void Write(string? value)
    {
        first.Write(value);
        second.Write(value);
    }

    public override void WriteLine(string? value)
    {
        first.WriteLine(value);
        second.WriteLine(value);
    }

    public override void Flush()
    {
        first.Flush();
        second.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) first.Dispose();
        base.Dispose(disposing);
    }
}
