namespace Talm.Api.Json;

/// <summary>Which rules type a plain YAML scalar (<c>yes</c>, <c>0x1F</c>, <c>010</c>...).</summary>
public enum YamlSchema
{
    /// <summary>YAML 1.2 core: only true/false are booleans, integers are decimal. What Kubernetes reads.</summary>
    Core12,

    /// <summary>YAML 1.1 as Go's gopkg.in/yaml.v2 (kuttl) reads it: yes/no/on/off/y/n are booleans, 0x hex and 0 octal integers.</summary>
    Yaml11,
}
