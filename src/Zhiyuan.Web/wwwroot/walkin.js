// The walk-in page: once the camera has taken the photo of a certificate QR, it is sent at once (the button stays for browsers without script).
(function () {
    var input = document.getElementById('walk-in-photo');
    if (input) {
        input.addEventListener('change', function () {
            if (input.files && input.files.length > 0) {
                input.form.submit();
            }
        });
    }
})();
