/* demo-ticket-form.js - the demo ticket form: validate, pretend to submit,
 * and report the submission to the widget */
(function () {
    'use strict';
    document.addEventListener('DOMContentLoaded', function () {
        var form = document.getElementById('ticket-form');
        var status = document.getElementById('form-status');
        form.addEventListener('submit', function (e) {
            e.preventDefault();
            var subject = document.getElementById('subject');
            var description = document.getElementById('description');
            var missing = [subject, description].filter(function (f) {
                var empty = !f.value.trim();
                f.setAttribute('aria-invalid', empty ? 'true' : 'false');
                return empty;
            });
            if (missing.length) {
                status.className = 'form-status error';
                status.textContent = 'Please fill in the subject and the description.';
                missing[0].focus();
                return;
            }
            status.className = 'form-status ok';
            status.textContent = 'Demo only: your ticket would now be sent to the Service Desk.';
            /* This form submits by script (here: not at all), so it tells
             * the widget itself; deskdex counts the session as a ticket. */
            if (window.deskdexWidget && window.deskdexWidget.submitted)
                window.deskdexWidget.submitted();
        });
    });
})();
