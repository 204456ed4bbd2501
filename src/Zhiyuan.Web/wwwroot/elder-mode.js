// 长辈模式 (large text, high contrast), remembered per browser in localStorage.
// A file rather than inline script (the Content-Security-Policy allows only the platform's own files).
// Loaded in <head> so the class is on <html> before the page is painted; the footer's switch
// (Components/ElderModeSwitch.razor) is found by delegation, so it keeps working after enhanced navigation.
(function () {
    var key = 'zhiyuan-elder-mode';

    function stored() {
        try { return window.localStorage.getItem(key) === 'on'; } catch (e) { return false; }
    }

    function apply(on) {
        document.documentElement.classList.toggle('elder', on);
        var buttons = document.querySelectorAll('[data-elder-mode]');
        for (var i = 0; i < buttons.length; i++) {
            buttons[i].setAttribute('aria-pressed', on ? 'true' : 'false');
            buttons[i].textContent = on ? buttons[i].getAttribute('data-label-off') : buttons[i].getAttribute('data-label-on');
        }
    }

    apply(stored());
    document.addEventListener('DOMContentLoaded', function () {
        apply(stored());
        if (window.Blazor && window.Blazor.addEventListener) {
            window.Blazor.addEventListener('enhancedload', function () { apply(stored()); });
        }
    });
    document.addEventListener('click', function (event) {
        var button = event.target.closest ? event.target.closest('[data-elder-mode]') : null;
        if (!button) {
            return;
        }
        var on = !stored();
        try { window.localStorage.setItem(key, on ? 'on' : 'off'); } catch (e) { /* private mode: this page only */ }
        apply(on);
    });
})();
