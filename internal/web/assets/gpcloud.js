// Starts the NHS.UK design system's components. A module file (not an
// inline script) so the Content-Security-Policy can forbid inline code.
import { initAll } from '/assets/nhsuk-frontend.min.js'
document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()
