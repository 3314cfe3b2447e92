namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>The run could not be set up (a service down, a gateway that would not start); the message says what to do.</summary>
internal sealed class SetupException(string message) : Exception(message);
