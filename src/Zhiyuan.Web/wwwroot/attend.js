// Check-in with a geofence: fill in the phone's position before the form goes, and say so if it cannot be had.
(function () {
    var form = document.getElementById('attend-form');
    if (!form || form.dataset.needsPosition !== 'true' || !navigator.geolocation) return;
    var sending = false;
    form.addEventListener('submit', function (event) {
        if (sending) return;
        event.preventDefault();
        navigator.geolocation.getCurrentPosition(function (position) {
            document.getElementById('attend-latitude').value = position.coords.latitude;
            document.getElementById('attend-longitude').value = position.coords.longitude;
            sending = true;
            form.requestSubmit();
        }, function () {
            // Sent without a position: the server answers with the reason.
            sending = true;
            form.requestSubmit();
        }, { enableHighAccuracy: true, timeout: 10000 });
    });
})();
