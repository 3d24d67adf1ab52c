// Starts the NHS.UK design system's components, and again on what htmx
// swaps in. A module file (not an inline script) so the
// Content-Security-Policy can forbid inline code.
import { initAll } from '/assets/nhsuk-frontend.min.js'
document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()
document.body.addEventListener('htmx:afterSettle', (e) => initAll({ scope: e.detail.elt }))
