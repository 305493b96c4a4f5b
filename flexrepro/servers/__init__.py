"""Server models written as event handlers on a `flexrepro.runtime` event loop."""
