using BrazeFunctions.Core;
using BrazeFunctions.Telemetry;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddRelayIngress();
builder.Services.AddRelayDispatch();
builder.AddRelayTelemetry();

builder.Build().Run();
