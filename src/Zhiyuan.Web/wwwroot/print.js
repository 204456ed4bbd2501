// The print button of the certificate page: a file rather than an onclick attribute, which the Content-Security-Policy forbids.
(function () {
    document.querySelectorAll('button[data-print]').forEach(function (button) {
        button.addEventListener('click', function () { window.print(); });
    });
})();
