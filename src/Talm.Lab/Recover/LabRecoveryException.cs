namespace Talm.Lab.Recover;

/// <summary>A recovery that cannot go on, with what to do about it.</summary>
public sealed class LabRecoveryException(string message) : Exception(message);
