/* "Mijn keuzespiegel" print view: the Printen button. No data, no network. */
(function () {
  "use strict";

  var button = document.getElementById("print");
  if (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  }
})();
