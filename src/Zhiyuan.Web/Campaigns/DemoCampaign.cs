using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Units;

namespace Zhiyuan.Web.Campaigns;

/// <summary>The campaign of the notice (肇团联发〔2019〕6号), opened on first start so the platform shows it from the beginning.</summary>
public static class DemoCampaign
{
    public const string Name = "2019肇庆市“学雷锋全民志愿服务行动月”";

    public static async Task SeedAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (await db.Campaigns.AnyAsync(c => c.Name == Name, cancellationToken))
        {
            return;
        }
        var city = await db.Units.SingleAsync(u => u.Code == ZhaoqingUnits.CityCode, cancellationToken);
        var campaigns = scope.ServiceProvider.GetRequiredService<CampaignUseCases>();
        await campaigns.OpenAsync(city.Id, Name, "志愿肇庆 美好生活", new DateOnly(2019, 3, 1), new DateOnly(2019, 3, 31), DayOfWeek.Friday, 0,
            new DateOnly(2019, 4, 3), depth: 1, reminderHours: 24, "曾繁智（市志愿者联合会）", "0758-2323563", "system", cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another node opened it at the same moment.
        }
    }
}
