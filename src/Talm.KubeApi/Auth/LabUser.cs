namespace Talm.KubeApi.Auth;

/// <summary>Who a token stands for, as a TokenReview reports it.</summary>
public sealed record LabUser(string Name, string Uid, IReadOnlyList<string> Groups);
