// The header's menus are <details> elements and work without this file. It only tidies them:
// opening one group closes the others, and a click elsewhere or Escape closes what is open.
(function () {
  function openMenus() {
    return document.querySelectorAll('header.topbar details[open]');
  }
  document.addEventListener('toggle', function (event) {
    var opened = event.target;
    if (!(opened instanceof HTMLDetailsElement) || !opened.open || !opened.classList.contains('nav-group')) {
      return;
    }
    document.querySelectorAll('header.topbar details.nav-group[open]').forEach(function (other) {
      if (other !== opened) {
        other.open = false;
      }
    });
  }, true);
  document.addEventListener('click', function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      openMenus().forEach(function (menu) { menu.open = false; });
    }
  });
})();
