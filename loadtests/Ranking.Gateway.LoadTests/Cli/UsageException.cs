namespace Ranking.Gateway.LoadTests.Cli;

/// <summary>A bad command line: the message says what is wrong; the runner prints it with the usage and exits 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
