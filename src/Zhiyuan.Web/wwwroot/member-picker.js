// The member pickers (Organizations/MemberPicker.razor): search as you type, keeping whatever is ticked.
// A file rather than inline script (the Content-Security-Policy allows only the platform's own files).
// Without it the picker still works: its search button posts the form and the page answers with the results.
(function () {
    function option(person, field, multiple) {
        var li = document.createElement('li');
        var label = document.createElement('label');
        label.className = 'inline';
        var box = document.createElement('input');
        box.type = multiple ? 'checkbox' : 'radio';
        box.name = field;
        box.value = person.number;
        label.appendChild(box);
        label.appendChild(document.createTextNode(' ' + person.name + ' '));
        var code = document.createElement('span');
        code.className = 'code';
        code.textContent = person.number;
        label.appendChild(code);
        label.appendChild(document.createTextNode(' '));
        var mobile = document.createElement('span');
        mobile.className = 'hint';
        mobile.textContent = person.mobile;
        label.appendChild(mobile);
        li.appendChild(label);
        return li;
    }

    function setUp(picker) {
        if (picker.hasAttribute('data-picker-ready')) {
            return;
        }
        picker.setAttribute('data-picker-ready', '');
        var query = picker.querySelector('[data-picker-query]');
        var button = picker.querySelector('[data-picker-search]');
        var list = picker.querySelector('[data-picker-options]');
        var count = picker.querySelector('[data-picker-count]');
        var field = picker.getAttribute('data-field');
        var multiple = picker.getAttribute('data-multiple') === 'true';
        var source = picker.getAttribute('data-source');
        var timer = null;
        var asked = 0;

        function search() {
            var mine = ++asked;
            fetch(source + '?q=' + encodeURIComponent(query.value.trim()), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
                .then(function (response) {
                    if (!response.ok) {
                        throw new Error(String(response.status));
                    }
                    return response.json();
                })
                .then(function (page) {
                    if (mine !== asked) {
                        return;
                    }
                    // What is ticked stays, in its place; everything else gives way to the results.
                    var ticked = {};
                    Array.prototype.forEach.call(list.querySelectorAll('li'), function (li) {
                        var box = li.querySelector('input');
                        if (box && box.checked) {
                            ticked[box.value] = true;
                        } else {
                            li.remove();
                        }
                    });
                    page.items.forEach(function (person) {
                        if (!ticked[person.number]) {
                            list.appendChild(option(person, field, multiple));
                        }
                    });
                    if (count) {
                        count.textContent = page.summary;
                    }
                })
                .catch(function () {
                    // Nothing changes; the search button still posts the form.
                });
        }

        query.addEventListener('input', function () {
            clearTimeout(timer);
            timer = setTimeout(search, 250);
        });
        query.addEventListener('keydown', function (e) {
            if (e.key === 'Enter') {
                e.preventDefault();
                clearTimeout(timer);
                search();
            }
        });
        button.addEventListener('click', function (e) {
            e.preventDefault();
            clearTimeout(timer);
            search();
        });
    }

    function start() {
        Array.prototype.forEach.call(document.querySelectorAll('[data-member-picker]'), setUp);
    }

    // A select marked data-autosubmit sends its own small form when changed (choosing an organisation reloads its members).
    document.addEventListener('change', function (e) {
        var target = e.target;
        if (target && target.matches && target.matches('select[data-autosubmit]') && target.form) {
            target.form.submit();
        }
    });

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', start);
    } else {
        start();
    }
    // Blazor's enhanced navigation patches pages in without loading them: set up the pickers it brings.
    if (window.Blazor && window.Blazor.addEventListener) {
        window.Blazor.addEventListener('enhancedload', start);
    }
})();
