namespace Talm.Lab.View;

/// <summary>Where the lab shows its progress: a live table on a terminal, plain lines otherwise.</summary>
public interface ILabView : IAsyncDisposable
{
    void Show(LabSnapshot snapshot);

    /// <summary>A line worth keeping: a condition change, a milestone.</summary>
    void Note(string line);
}
