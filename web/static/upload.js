// Files dropped or chosen, and how much of them is sent. GOV.UK Frontend's file upload
// (govuk-file-upload.js, vendored by `make vendor`) turns each file field into a zone a file
// can be dropped on; a form that sends a file then says how much of it has gone, and shows
// the page that answers. Without this script, the same forms send their files as any form.
(function () {
  "use strict";
  var FileUpload = window.GOVUKFrontend && window.GOVUKFrontend.FileUpload;
  if (!FileUpload || !window.FormData || !window.XMLHttpRequest) return;
  // GOV.UK Frontend's components run only where the page says its browser may run them.
  document.body.classList.add("govuk-frontend-supported");
  var words = {
    chooseFilesButton: "Choisir un fichier",
    dropInstruction: "ou le déposer ici",
    noFileChosen: "Aucun fichier choisi",
    multipleFilesChosen: { one: "%{count} fichier choisi", other: "%{count} fichiers choisis" },
    enteredDropZone: "Dans la zone de dépôt",
    leftDropZone: "Hors de la zone de dépôt"
  };
  document.querySelectorAll('[data-module="govuk-file-upload"]').forEach(function (zone) {
    new FileUpload(zone, { i18n: words });
    // A space between what is chosen and the button's words, as a reader of the page's text
    // (and axe-core, checking that the name read out contains the words shown) sees them.
    var chosen = zone.querySelector(".govuk-file-upload-button__status");
    if (chosen) chosen.insertAdjacentText("afterend", " ");
  });
  document.querySelectorAll('form[enctype="multipart/form-data"]').forEach(function (form) {
    form.addEventListener("submit", send);
  });

  function send(event) {
    var form = event.currentTarget;
    var chosen = Array.prototype.some.call(form.querySelectorAll('input[type="file"]'), function (input) {
      return input.files.length > 0;
    });
    if (!chosen) return;
    event.preventDefault();
    var button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    var shown = document.createElement("div");
    shown.className = "simpa-upload-progress govuk-!-margin-top-4";
    var said = document.createElement("p");
    said.className = "govuk-body govuk-!-margin-bottom-1";
    said.setAttribute("role", "status");
    said.textContent = "Envoi du fichier…";
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Part du fichier envoyée");
    shown.appendChild(said);
    shown.appendChild(bar);
    button.insertAdjacentElement("afterend", shown);
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    var told = -1;
    request.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable) return;
      var percent = Math.floor((100 * progress.loaded) / progress.total);
      bar.value = percent;
      // Said again every tenth only, not to talk over the person.
      if (Math.floor(percent / 10) !== told) {
        told = Math.floor(percent / 10);
        said.textContent = "Envoi du fichier : " + percent + " %";
      }
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      said.textContent = "Fichier envoyé, la Ville l'enregistre…";
    });
    // The answer is a whole page (the documents, or the form with what to fix): shown as the
    // browser would show it, at the address of the documents (reloading it sends nothing).
    request.addEventListener("load", function () {
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () {
      said.textContent = "L'envoi n'a pas abouti : vérifiez votre connexion, puis déposez le fichier à nouveau.";
      button.disabled = false;
    });
    request.send(new FormData(form));
  }
})();
