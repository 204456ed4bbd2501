using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;
using Zhiyuan.Web;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.BackEntries;
using Zhiyuan.Web.Campaigns;
using Zhiyuan.Web.Components;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Messages;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Recognition;
using Zhiyuan.Web.Patrols;
using Zhiyuan.Web.PublicSite;
using Zhiyuan.Web.ServicePosts;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;
using Zhiyuan.Web.Workbench;

// Operator commands (`check`, `backup`, `reset-admin`, `version`) read the database and end here, before any server, seed or migration.
if (await OperatorCommands.TryRunAsync(args) is { } exitCode)
{
    return exitCode;
}
// `migrate` builds the app as a node would (the same services and settings), migrates and seeds, and ends without serving.
var migrateOnly = args.FirstOrDefault() == "migrate";
if (migrateOnly)
{
    args = args[1..];
}

// The app's own appsettings.json, whatever folder it was started from (ContentRoot says when).
var builder = WebApplication.CreateBuilder(ContentRoot.Options(args));
// Tracking tokens and staff keys travel in addresses; no log at any level may carry them.
builder.Logging.RedactSecretsInAddresses();
if (migrateOnly)
{
    // `migrate` answers in one line: EF's own error lines for the history table that a new database does not
    // have yet would only alarm (a migration that fails is named in that line, with the database's words).
    builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Critical);
}

builder.Services.AddSingleton(TimeProvider.System);
// How long a node's claim on background work holds (Jobs:ClaimSeconds), how often messages are sent.
builder.Services.AddJobOptions(builder.Configuration);
builder.Services.AddAppDatabase();
// The data-protection keys, in the database and encrypted with a certificate that is not (DataProtection:CertificatePath).
builder.Services.AddKeyRing(builder.Configuration, builder.Environment);
builder.Services.AddSms(builder.Configuration, builder.Environment);
builder.Services.AddAppLocalization();
builder.Services.AddAppProblemDetails();
builder.Services.AddConflictAnswers();
builder.Services.AddAccounts(builder.Configuration);
builder.Services.AddPasswordRecovery();
builder.Services.AddUnits();
builder.Services.AddAudit();
builder.Services.AddVolunteers();
builder.Services.AddOrganizations();
builder.Services.AddActivities();
builder.Services.AddBackEntries(builder.Configuration);
builder.Services.AddCampaigns(builder.Configuration);
builder.Services.AddRecognition(builder.Configuration);
builder.Services.AddServicePosts(builder.Configuration);
builder.Services.AddPatrols(builder.Configuration);
builder.Services.AddPublicSite();
// Anonymous public pages and API answers kept in memory (PublicSite/PublicCache.cs, PublicCache:Seconds).
builder.Services.AddPublicCache();
builder.Services.AddMessages(builder.Configuration);
builder.Services.AddWorkbench();
builder.Services.AddAppOpenApi();
builder.Services.AddRazorComponents();
builder.Services.AddCascadingAuthenticationState();
// Chinese text goes out as UTF-8 characters, not as &#x…; entities.
builder.Services.AddWebEncoders(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
// Enums by name, dates with offsets within 2000–2100, finite numbers, no control characters (InputRules).
builder.Services.ConfigureHttpJsonOptions(o => InputRules.AddConverters(o.SerializerOptions));
// Behind a reverse proxy: the client's address and scheme from trusted proxies only, Secure cookies, HSTS.
builder.Services.AddProxySupport(builder.Configuration);
// Metrics for Prometheus (Metrics:Port / Metrics:AllowedAddresses), health, JSON logs (Logging:Json).
builder.AddObservability();

var app = builder.Build();

// A bad database setting ends start-up with one sentence a person can act on, not a stack trace.
// Nodes starting together take turns to migrate and seed (DatabaseSetup holds a lock meanwhile).
// With Database:MigrateOnStart=false a node never migrates: it seeds once `migrate` has run, and does not serve before.
string? startupError;
var pendingBefore = new List<string>();
try
{
    var (databaseOptions, databaseError) = DatabaseOptions.Read(app.Configuration, app.Environment.ContentRootPath);
    if (migrateOnly && databaseOptions is not null)
    {
        try
        {
            pendingBefore = await MigrationState.PendingAsync(app.Services);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // An unreachable database: MigrateAndSeedAsync below says so in one sentence.
        }
    }
    Func<Task<string?>> seed = async () =>
                   {
                       // A certificate just turned on or rotated gets a key of its own before anything is protected again.
                       await KeyRing.RenewUnderCurrentCertificateAsync(app.Services);
                       await ZhaoqingUnits.SeedAsync(app.Services);
                       await DemoCampaign.SeedAsync(app.Services);
                       var error = await AdminSeed.EnsureAsync(app.Services, Console.Out);
                       // Optional: March 2019 filled with generated activity and reports, so the demo campaign's pages have something to show.
                       if (error is null && app.Configuration.GetValue<bool>("Demo:March2019"))
                       {
                           await DemoData.SeedAsync(app.Services);
                       }
                       // Made on the first start and kept in the database: one node makes them, the others read them.
                       app.Services.GetRequiredService<PersonalData>();
                       // Only now, with the personal-data keys under the certificate, can keys kept in the clear go.
                       await KeyRing.DropKeysKeptInTheClearAsync(app.Services);
                       return error;
                   };
    startupError = Proxy.Error(app.Configuration)
                   ?? Observability.Error(app.Configuration)
                   ?? databaseError
                   ?? KeyRing.CheckProtection(app.Services)
                   ?? (migrateOnly || databaseOptions!.MigrateOnStart
                       ? await DatabaseSetup.MigrateAndSeedAsync(app.Services, seed)
                       : await MigrationState.WaitForMigrationsAsync(app.Services, seed, TimeSpan.FromSeconds(5), app.Lifetime.ApplicationStopping));
    if (startupError is null && (migrateOnly || databaseOptions!.MigrateOnStart))
    {
        app.Services.GetRequiredService<MigrationState>().MarkCurrent();
    }
    if (startupError is null)
    {
        _ = app.Services.GetRequiredService<IOptions<RecognitionOptions>>().Value;
    }
}
catch (OptionsValidationException invalid)
{
    startupError = $"Configuration is not valid: {invalid.Message} (配置有误)";
}
catch (KeyRingMismatchException mismatch)
{
    startupError = mismatch.Message;
}
if (startupError is not null)
{
    Console.Error.WriteLine(startupError);
    return 1;
}
if (migrateOnly)
{
    var migrated = app.Services.GetRequiredService<DatabaseOptions>();
    Console.Out.WriteLine(pendingBefore.Count == 0
        ? $"The {migrated.Provider} database at {OperatorCommands.Describe(migrated)} was already current (version {AppVersion.Describe()}); nothing to migrate. (数据库已是最新)"
        : $"Migrated the {migrated.Provider} database at {OperatorCommands.Describe(migrated)}: {pendingBefore.Count} migrations applied, now at {pendingBefore[^1]} (version {AppVersion.Describe()}). (数据库迁移完成)");
    return 0;
}

// Anonymous public pages and API answers from memory before any other work (PublicSite/PublicCache.cs); the
// answers it keeps went through everything below.
app.UsePublicCache();
// First of the rest, so that everything after it (rate limits, counted limits, cookies, logs) sees the real client.
app.UseProxySupport(app.Environment);
// Then the metrics (to allowed addresses or the metrics port only) and the 503 of a node waiting for `migrate`.
app.UseObservability();
app.UseSecurityHeaders();
// Localization first, so that error responses are written in the caller's language too.
app.UseRequestLocalization();
app.UseExceptionHandler();
// No control character in a query string, path or form reaches a page or endpoint (PostgreSQL refuses NUL).
app.UseControlCharacterCheck();
// A status without a body becomes the "not found" page, or problem details in the API (the inner
// handler writes first, so the outer one leaves API responses alone).
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseWhen(http => http.Request.Path.StartsWithSegments("/api"), api => api.UseStatusCodePages());
app.MapStaticAssets();
app.UseAuthentication();
app.UseAuthorization();
app.UseUnitScopeCheck();
app.UseRateLimiter();
app.UseAntiforgery();
// A page form posted a second time shows its page as it is now, not a blank 400.
app.UseRepeatedFormAnswers();

app.MapOpenApi();
app.MapScalarApiReference("/api/reference");
app.MapHealth();
app.MapCultureSwitch();
// Every API endpoint's bound arguments (query, route, header) pass the same input rules as JSON bodies.
var endpoints = app.MapGroup("").AddEndpointFilter(InputRules.CheckArguments);
endpoints.MapAccountsApi();
endpoints.MapPasswordRecoveryApi();
endpoints.MapUnitsApi();
endpoints.MapAuditApi();
endpoints.MapVolunteersApi();
endpoints.MapOrganizationsApi();
endpoints.MapActivitiesApi();
endpoints.MapBackEntriesApi();
endpoints.MapCampaignsApi();
endpoints.MapRecognitionApi();
endpoints.MapServicePostsApi();
endpoints.MapPatrolsApi();
endpoints.MapPublicSiteApi();
endpoints.MapMessagesApi();
endpoints.MapWorkbenchApi();
app.MapRazorComponents<App>();

await app.RunAsync();
return 0;

/// <summary>Visible to the test host.</summary>
public partial class Program;
