namespace Talm.Engine.Model;

/// <summary>Source of the 5 lowercase characters appended to generated Placement names.</summary>
public interface INameSuffixSource
{
    string Next();
}

/// <summary>Random suffixes from an injected <see cref="Random"/> (seed it in tests).</summary>
public sealed class RandomNameSuffix(Random random) : INameSuffixSource
{
    public const int Length = 5;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz";

    public string Next()
    {
        Span<char> chars = stackalloc char[Length];
        for (var i = 0; i < chars.Length; i++)
            chars[i] = Alphabet[random.Next(Alphabet.Length)];
        return new string(chars);
    }
}
