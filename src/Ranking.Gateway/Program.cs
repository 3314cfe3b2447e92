using Ranking.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddRankingGateway(builder.Configuration);

var app = builder.Build();
app.MapRankingGateway();
app.Run();

/// <summary>The gateway host; public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
