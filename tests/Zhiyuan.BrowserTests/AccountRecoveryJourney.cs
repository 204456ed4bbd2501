using Microsoft.Playwright;
using Zhiyuan.Tests.Sms;
using Zhiyuan.Tests.Volunteers;

namespace Zhiyuan.BrowserTests;

/// <summary>On a phone, with text messages going through the city's gateway: 获取验证码 at registration, and 忘记密码 later.</summary>
public sealed class AccountRecoveryJourney
{
    const string Mobile = "13912345678";

    [BrowserFact]
    public async Task OnAPhoneAVisitorRegistersWithTheTextedCodeForgetsThePasswordAndSetsANewOneWithAnother()
    {
        await using var gateway = await TestSmsGateway.StartAsync();
        await using var browser = await Browser.StartAsync(app => gateway.ConfigureWebhook(app));
        var phone = await browser.NewPageAsync(width: 375, height: 812);

        // Registration: the mobile first, then 获取验证码; the code arrives by text message.
        await phone.GotoAsync("/");
        await phone.ClickAsync("#nav-register");
        await phone.WaitForURLAsync("**/volunteers/register");
        Assert.Equal(0, await phone.Locator("#mobile-not-verified").CountAsync());
        await phone.FillAsync("#name", "林小雨");
        await phone.FillAsync("#documentNumber", People.ResidentId(2000, 124));
        await phone.FillAsync("#mobile", Mobile);
        await FitsAsync(phone, "recovery-1-register-mobile-zh-phone");
        await phone.ClickAsync("#send-code");
        await phone.Locator("#code-sent").WaitForAsync();
        Assert.Contains("验证码已发送至 139****5678", await phone.InnerTextAsync("#code-sent"));
        // What was typed is still there; the code is what the phone received.
        Assert.Equal("林小雨", await phone.InputValueAsync("#name"));
        var code = gateway.LatestCodeTo(Mobile)!;
        Assert.Equal("mobile", Assert.Single(gateway.Received).Json.GetProperty("purpose").GetString());
        await phone.FillAsync("#code", code);
        await phone.SelectOptionAsync("#unitCode", "441202");
        await phone.CheckAsync("input[name='Input.Lines[Ecology]']");
        await phone.FillAsync("#password", People.Password);
        await FitsAsync(phone, "recovery-2-register-code-zh-phone");
        // Enter in the last field registers (it does not ask for another code).
        await phone.PressAsync("#password", "Enter");
        await phone.WaitForURLAsync("**/me?registered=1");
        Assert.Single(gateway.Received);
        var number = (await phone.InnerTextAsync("#volunteer-number")).Trim();
        Assert.Equal("139****5678", await phone.InnerTextAsync("#my-mobile"));
        Assert.Equal("已验证", await phone.InnerTextAsync("#my-mobile-state"));
        await FitsAsync(phone, "recovery-3-me-verified-zh-phone");
        // On a phone, signing out is in the menu.
        await phone.ClickAsync("#menu-button");
        await phone.ClickAsync("#sign-out");
        await phone.WaitForURLAsync(browser.BaseAddress + "/");

        // Weeks later the password is gone from memory: 忘记密码 on the sign-in page.
        await phone.GotoAsync("/account/sign-in");
        await FitsAsync(phone, "recovery-4-sign-in-zh-phone");
        await phone.ClickAsync("#forgot-password");
        await phone.WaitForURLAsync("**/account/recover");
        Assert.Equal(0, await phone.Locator("#recovery-sms-not-configured").CountAsync());
        // The registered mobile names the account, as on the sign-in page.
        await phone.FillAsync("#recovery-user", Mobile);
        await FitsAsync(phone, "recovery-5-forgot-zh-phone");
        await phone.ClickAsync("#recovery-send");
        await phone.Locator("#recovery-started").WaitForAsync();
        Assert.Contains("如果该账户存在", await phone.InnerTextAsync("#recovery-started"));
        await FitsAsync(phone, "recovery-6-code-sent-zh-phone");
        var message = gateway.Received.Last().Json;
        Assert.Equal("recovery", message.GetProperty("purpose").GetString());
        Assert.Equal(Mobile, message.GetProperty("phone").GetString());
        var recoveryCode = message.GetProperty("code").GetString()!;

        await phone.ClickAsync("#recovery-complete-link");
        await phone.WaitForURLAsync("**/account/recover/complete**");
        await phone.Locator("#recovery-code").WaitForAsync();
        // A mobile number is never put in the address (it would end up in logs and the history): typed again here.
        Assert.DoesNotContain(Mobile, phone.Url);
        Assert.Equal("", await phone.InputValueAsync("#recovery-user"), StringComparer.Ordinal);
        await phone.FillAsync("#recovery-user", Mobile);
        await phone.FillAsync("#recovery-code", recoveryCode);
        await phone.FillAsync("#new-password", "Remembered-2026");
        await FitsAsync(phone, "recovery-7-new-password-zh-phone");
        await phone.ClickAsync("#recovery-complete");
        await phone.Locator("#recovery-done").WaitForAsync();
        await FitsAsync(phone, "recovery-8-done-zh-phone");

        // The old password no longer opens the account; the new one does.
        await phone.ClickAsync("#recovery-sign-in");
        await phone.WaitForURLAsync("**/account/sign-in");
        await phone.FillAsync("#userName", number);
        await phone.FillAsync("#password", People.Password);
        await phone.ClickAsync("#sign-in");
        await phone.Locator("#sign-in-error").WaitForAsync();
        await FitsAsync(phone, "recovery-9-old-password-refused-zh-phone");
        await phone.FillAsync("#userName", number);
        await phone.FillAsync("#password", "Remembered-2026");
        await phone.ClickAsync("#sign-in");
        await phone.WaitForURLAsync("**/workbench");
        Assert.Equal(number, (await phone.InnerTextAsync("#volunteer-number")).Trim());
        await FitsAsync(phone, "recovery-10-signed-in-zh-phone");
    }

    /// <summary>Takes the step's screenshot and checks the page needs no sideways scrolling at 375 px.</summary>
    static async Task FitsAsync(IPage page, string screenshot)
    {
        await Browser.ScreenshotAsync(page, screenshot);
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"),
            $"{screenshot}: the page is {await page.EvaluateAsync<int>("document.documentElement.scrollWidth")} px wide on a 375 px screen");
    }
}
