using System.Collections;

namespace Talm.Operator;

/// <summary>
/// A logging scope of one named field (the CGU or the cluster): JSON logs show it as a field, text
/// logs as "name=value".
/// </summary>
public sealed class LogScope(string name, string value) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new(name, value) : throw new ArgumentOutOfRangeException(nameof(index));

    public int Count => 1;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{name}={value}";
}
