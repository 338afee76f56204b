using BrazeFunctions.Core;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddRelayIngress();
builder.Services.AddRelayTemplates();

builder.Build().Run();
