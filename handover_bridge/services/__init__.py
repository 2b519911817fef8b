"""Business logic. Nothing here imports Sanic: services take plain values and return plain
values (or raise services.errors.ServiceError), so the API layer only parses and serialises."""
