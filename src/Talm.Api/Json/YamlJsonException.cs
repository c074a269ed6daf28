namespace Talm.Api.Json;

/// <summary>A text <see cref="YamlJson"/> cannot turn into JSON; the message says why, without the text.</summary>
public sealed class YamlJsonException : FormatException
{
    public YamlJsonException(string message)
        : base(message)
    {
    }

    public YamlJsonException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
