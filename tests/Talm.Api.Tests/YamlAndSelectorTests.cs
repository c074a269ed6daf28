using Talm.Api.Json;
using Talm.Api.Meta;

namespace Talm.Api.Tests;

/// <summary>The one YAML reader and the one label selector every part of talm uses.</summary>
public sealed class YamlAndSelectorTests
{
    [Theory]
    [InlineData("yes", YamlSchema.Core12, "\"yes\"")]
    [InlineData("yes", YamlSchema.Yaml11, "true")]
    [InlineData("True", YamlSchema.Core12, "true")]
    [InlineData("0x1F", YamlSchema.Core12, "\"0x1F\"")]
    [InlineData("0x1F", YamlSchema.Yaml11, "31")]
    [InlineData("010", YamlSchema.Yaml11, "8")]
    [InlineData("010", YamlSchema.Core12, "10")]
    [InlineData("1.5", YamlSchema.Core12, "1.5")]
    [InlineData("\"4.16\"", YamlSchema.Core12, "\"4.16\"")]
    [InlineData("'true'", YamlSchema.Yaml11, "\"true\"")]
    [InlineData("~", YamlSchema.Core12, "null")]
    public void Scalars_are_typed_by_the_schema(string scalar, YamlSchema schema, string json)
    {
        var node = YamlJson.Parse("v: " + scalar, schema)!["v"];
        Assert.Equal(json, node?.ToJsonString() ?? "null");
    }

    [Fact]
    public void Every_document_is_read_and_an_empty_one_is_null()
    {
        var docs = YamlJson.ParseAll("a: 1\n---\n---\nb: [x, 2]\n");
        Assert.Equal(3, docs.Count);
        Assert.Null(docs[1]);
        Assert.Equal("""{"b":["x",2]}""", docs[2]!.ToJsonString());
    }

    [Fact]
    public void Aliases_cannot_multiply_a_small_text()
    {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
        Assert.Contains("aliasing", Assert.Throws<YamlJsonException>(() => YamlJson.ParseAll(bomb)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_is_bounded()
    {
        var deep = new string('[', YamlJson.MaxDepth + 1) + new string(']', YamlJson.MaxDepth + 1);
        Assert.Throws<YamlJsonException>(() => YamlJson.ParseAll(deep));
        Assert.Null(YamlJson.TryParse("a: [unclosed"));
    }

    [Theory]
    [InlineData("env=prod", true)]
    [InlineData("env==prod,tier", true)]
    [InlineData("env!=prod", false)]
    [InlineData("env in (lab, prod),!missing", true)]
    [InlineData("env notin (prod)", false)]
    [InlineData("missing", false)]
    [InlineData("", true)]
    public void The_text_form_reads_as_the_structured_one(string text, bool matches)
    {
        var labels = new Dictionary<string, string> { ["env"] = "prod", ["tier"] = "" };
        Assert.Equal(matches, LabelSelector.Parse(text).Matches(labels));
    }

    [Fact]
    public void The_text_form_becomes_match_expressions()
    {
        var selector = LabelSelector.Parse("a=b, c!=d, e in (f,g), h, !k");
        Assert.Equal(
            ["a In b", "c NotIn d", "e In f|g", "h Exists ", "k DoesNotExist "],
            selector.MatchExpressions!.Select(r => $"{r.Key} {r.Operator} {string.Join('|', r.Values ?? [])}"));
    }

    [Theory]
    [InlineData("a in x")]
    [InlineData("=b")]
    [InlineData("a,,b")]
    public void A_malformed_text_names_the_whole_selector(string text)
    {
        Assert.Equal($"unable to parse requirement in label selector \"{text}\"", Assert.Throws<FormatException>(() => LabelSelector.Parse(text)).Message);
    }

    [Fact]
    public void Every_kind_is_registered_once()
    {
        Assert.Equal(Kinds.All.Count, Kinds.All.Select(k => (k.ApiVersion, k.Kind)).Distinct().Count());
        Assert.Same(Kinds.Namespace, Kinds.Find("v1", "Namespace"));
        Assert.Equal("/apis/ran.openshift.io/v1alpha1/namespaces/ns/clustergroupupgrades/x", Kinds.ClusterGroupUpgrade.ObjectPath("ns", "x"));
    }
}
