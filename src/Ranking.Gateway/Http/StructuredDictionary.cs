using System.Globalization;

namespace Ranking.Gateway.Http;

/// <summary>
/// A Structured Field Dictionary (RFC 8941 §4.2.2), as targeted cache-control fields use it (RFC 9213). Written here
/// because .NET has no Structured Field parser and only this one shape is needed: members are returned with their bare
/// item (<see cref="long"/> for an Integer, <see cref="bool"/>, <see cref="string"/> for a String or a Token,
/// <see cref="decimal"/>, <see cref="byte"/>[] or, for an Inner List, <see cref="List{T}"/>); parameters are checked and
/// dropped.
/// </summary>
internal static class StructuredDictionary
{
    /// <returns>The members in order (a repeated key keeps its last value), or null when the value is not a dictionary.</returns>
    public static List<KeyValuePair<string, object>>? Parse(string value)
    {
        var members = new List<KeyValuePair<string, object>>();
        var position = 0;
        SkipSpaces(value, ref position);
        while (position < value.Length)
        {
            if (ReadKey(value, ref position) is not { } key)
            {
                return null;
            }

            object item = true;
            if (position < value.Length && value[position] == '=')
            {
                position++;
                if (ReadItemOrInnerList(value, ref position) is not { } read)
                {
                    return null;
                }

                item = read;
            }
            else if (!SkipParameters(value, ref position))
            {
                return null;
            }

            members.RemoveAll(m => m.Key == key);
            members.Add(new(key, item));
            SkipOws(value, ref position);
            if (position >= value.Length)
            {
                return members;
            }

            if (value[position++] != ',')
            {
                return null;
            }

            SkipOws(value, ref position);
            if (position >= value.Length)
            {
                return null; // a trailing comma
            }
        }

        return members;
    }

    private static object? ReadItemOrInnerList(string value, ref int position)
    {
        if (position < value.Length && value[position] == '(')
        {
            position++;
            var list = new List<object>();
            while (true)
            {
                while (position < value.Length && value[position] == ' ')
                {
                    position++;
                }

                if (position >= value.Length)
                {
                    return null;
                }

                if (value[position] == ')')
                {
                    position++;
                    return SkipParameters(value, ref position) ? list : null;
                }

                if (ReadBareItem(value, ref position) is not { } item || !SkipParameters(value, ref position))
                {
                    return null;
                }

                list.Add(item);
                if (position < value.Length && value[position] is not (' ' or ')'))
                {
                    return null;
                }
            }
        }

        var bare = ReadBareItem(value, ref position);
        return bare is not null && SkipParameters(value, ref position) ? bare : null;
    }

    private static object? ReadBareItem(string value, ref int position)
    {
        if (position >= value.Length)
        {
            return null;
        }

        var c = value[position];
        return c switch
        {
            '-' or (>= '0' and <= '9') => ReadNumber(value, ref position),
            '"' => ReadString(value, ref position),
            '?' => ReadBoolean(value, ref position),
            ':' => ReadBytes(value, ref position),
            '*' or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') => ReadToken(value, ref position),
            _ => null,
        };
    }

    private static object? ReadNumber(string value, ref int position)
    {
        var start = position;
        if (value[position] == '-')
        {
            position++;
        }

        var digitsStart = position;
        var dot = -1;
        while (position < value.Length && (char.IsAsciiDigit(value[position]) || (value[position] == '.' && dot < 0)))
        {
            if (value[position] == '.')
            {
                dot = position;
            }

            position++;
        }

        var digits = position - digitsStart;
        if (digits == 0 || !char.IsAsciiDigit(value[digitsStart]))
        {
            return null;
        }

        var text = value.AsSpan(start, position - start);
        if (dot < 0)
        {
            return digits <= 15 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) ? integer : null;
        }

        var whole = dot - digitsStart;
        var fraction = position - dot - 1;
        return whole <= 12 && fraction is >= 1 and <= 3
            && decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;
    }

    private static string? ReadString(string value, ref int position)
    {
        var text = new System.Text.StringBuilder();
        position++;
        while (position < value.Length)
        {
            var c = value[position++];
            if (c == '"')
            {
                return text.ToString();
            }

            if (c == '\\')
            {
                if (position >= value.Length || value[position] is not ('"' or '\\'))
                {
                    return null;
                }

                c = value[position++];
            }
            else if (c is < ' ' or > '~')
            {
                return null;
            }

            text.Append(c);
        }

        return null;
    }

    private static object? ReadBoolean(string value, ref int position)
    {
        if (position + 1 >= value.Length || value[position + 1] is not ('0' or '1'))
        {
            return null;
        }

        position += 2;
        return value[position - 1] == '1';
    }

    private static byte[]? ReadBytes(string value, ref int position)
    {
        var end = value.IndexOf(':', position + 1);
        if (end < 0)
        {
            return null;
        }

        var text = value[(position + 1)..end];
        position = end + 1;
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string ReadToken(string value, ref int position)
    {
        var start = position++;
        while (position < value.Length && (CacheDirectives.IsTokenChar(value[position]) || value[position] is ':' or '/'))
        {
            position++;
        }

        return value[start..position];
    }

    // key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
    private static string? ReadKey(string value, ref int position)
    {
        if (position >= value.Length || value[position] is not ((>= 'a' and <= 'z') or '*'))
        {
            return null;
        }

        var start = position++;
        while (position < value.Length && value[position] is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' or '.' or '*')
        {
            position++;
        }

        return value[start..position];
    }

    private static bool SkipParameters(string value, ref int position)
    {
        while (position < value.Length && value[position] == ';')
        {
            position++;
            while (position < value.Length && value[position] == ' ')
            {
                position++;
            }

            if (ReadKey(value, ref position) is null)
            {
                return false;
            }

            if (position < value.Length && value[position] == '=')
            {
                position++;
                if (ReadBareItem(value, ref position) is null)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static void SkipSpaces(string value, ref int position)
    {
        while (position < value.Length && value[position] == ' ')
        {
            position++;
        }
    }

    private static void SkipOws(string value, ref int position)
    {
        while (position < value.Length && value[position] is ' ' or '\t')
        {
            position++;
        }
    }
}
