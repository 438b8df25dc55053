"""Demo scenarios played through the service, for trying the product and for end-to-end tests."""
