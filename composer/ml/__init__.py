"""Recurrent chorale networks: model, data pipeline, training, evaluation, sampling."""
