namespace Talm.Lab.View;

/// <summary>A CGU status condition as the lab prints it.</summary>
public sealed record CguCondition(string Type, string Status, string Reason, string Message)
{
    public override string ToString() => $"{Type}={Status} {Reason}: {Message}";
}
