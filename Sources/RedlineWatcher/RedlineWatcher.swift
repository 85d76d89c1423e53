public enum RedlineWatcherModule {}
