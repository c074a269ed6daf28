namespace Talm.Operator.Election;

/// <summary>The lease was lost: the process must end so it restarts clean rather than act as a second leader.</summary>
public sealed class LeadershipLostException(string identity, string lease)
    : Exception($"lost the leader lease {lease} (identity {identity}); exiting so that the operator restarts clean");
