using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Talm.Api.Json;

/// <summary>
/// Reads any JSON number into an <see cref="int"/> or <see cref="long"/> field, held to the type's range
/// (and truncated if it has a fraction), instead of failing the whole object. The CRDs declare these
/// fields as plain <c>integer</c>, so an API server stores <c>timeout: 9223372036854775807</c>; one such
/// object must not make every reader of the cache fail. Whoever acts on a spec checks the raw value
/// against the limits (the operator's <c>SpecLimits</c>) and reports it on that object alone.
/// </summary>
public sealed class SaturatingIntegerConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert == typeof(int) || typeToConvert == typeof(long);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        typeToConvert == typeof(int) ? new Int32Converter() : new Int64Converter();

    /// <summary>The number held to [min, max], or null when the token is not a number.</summary>
    public static decimal? Clamp(ref Utf8JsonReader reader, long min, long max)
    {
        if (reader.TokenType != JsonTokenType.Number) return null;
        if (reader.TryGetInt64(out var exact)) return Math.Clamp(exact, min, max);
        // Beyond long (or with a fraction): double keeps the sign and magnitude, which is all that matters here.
        var value = double.Parse(reader.ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture);
        return value >= max ? max : value <= min ? min : (decimal)Math.Truncate(value);
    }

    private sealed class Int32Converter : JsonConverter<int>
    {
        public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            (int)(Clamp(ref reader, int.MinValue, int.MaxValue) ?? throw new JsonException($"expected a number, got {reader.TokenType}"));

        public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
    }

    private sealed class Int64Converter : JsonConverter<long>
    {
        public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            (long)(Clamp(ref reader, long.MinValue, long.MaxValue) ?? throw new JsonException($"expected a number, got {reader.TokenType}"));

        public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
    }
}
