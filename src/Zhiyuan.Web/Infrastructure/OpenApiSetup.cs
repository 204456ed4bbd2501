using Microsoft.OpenApi;

namespace Zhiyuan.Web.Infrastructure;

public static class OpenApiSetup
{
    /// <summary>The OpenAPI document, with the bearer scheme so the reference page can call the API.</summary>
    public static IServiceCollection AddAppOpenApi(this IServiceCollection services) => services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
    {
        document.Info.Title = "Zhiyuan API";
        document.Info.Description = "志愿服务平台接口 / The volunteer-service platform's API. Get a token from POST /api/auth/token and send it as \"Authorization: Bearer …\". Errors are RFC 9457 problem details in the language of Accept-Language (zh-CN or en).";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The accessToken from POST /api/auth/token.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] }];
        return Task.CompletedTask;
    }));
}
